"""Start page, health check and other pages of no single domain."""

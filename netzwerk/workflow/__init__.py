"""The workflow engine: definitions in YAML, validation, transitions, timers.

Workflows are data (``workflows/*.yaml``); guards and effects are named
Python functions in a registry; every transition is one transaction with an
optimistic version check and an audit event.
"""

"""Bodies, memberships, organisations, persons and action fields."""

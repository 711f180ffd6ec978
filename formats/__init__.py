"""Pure formats: data in, bytes or text out, no database and no I/O (the bottom layer with db)."""

"""Jobs: the main demo job and, later, scheduled work (APScheduler) calling one SQL function each."""

"""Jobs: the main demo job and, later, scheduled work (APScheduler), one SQL call each."""

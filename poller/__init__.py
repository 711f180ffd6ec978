"""Meter reading: the NBR 14522 protocol (protocol/), the meter emulator (emulator/) and the
poller service that stores reads through db.ingest (service.py, store.py)."""

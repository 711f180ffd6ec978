"""CCEE submission: the payload of a UC-day (payload.py), the HTTP client (client.py, the only
httpx user), our CCEE emulator for tests and the demo (emulator.py), and the sender that claims
due UC-days in the database and records every attempt (sender.py)."""

"""The REST API (Litestar): thin handlers over db/ (a later issue builds it)."""

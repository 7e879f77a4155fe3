"""Storage ports (ports.py) and their local and AWS adapters; chalicelib.wiring picks one of each."""

"""Vetrina's domain: everything app.py's routes and handlers call."""

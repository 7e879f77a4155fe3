"""The web pages: static files served by the same Chalice app as the JSON API."""

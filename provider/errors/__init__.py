"""The plugin's errors: tree.py (its exceptions), bodies.py (reading error replies), redact.py
(secrets out of text), wording.py (sentences), mapping.py (the one choke point to Dify)."""

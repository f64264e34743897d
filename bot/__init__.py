"""The Flask app, the chat platforms and the platform-neutral conversation."""

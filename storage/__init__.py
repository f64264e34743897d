"""Models and the services over them. Knows nothing of Flask, chat platforms or RQ."""

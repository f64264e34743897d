"""Customer ledgers in and out: `salesbot import leads` and `salesbot export`."""

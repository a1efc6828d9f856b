"""Running the server for real people: quotas, usage, health, metrics, export/import, backups, admin."""

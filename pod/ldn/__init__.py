"""Linked Data Notifications (W3C LDN): inboxes that receive notifications, and sending to others' inboxes."""

"""Live notifications: Solid Notifications channels (WebSocket, Webhook, Streaming HTTP) and solid-0.1.

Everything here consumes the one change feed (`Resources.changes`); nothing hooks into writes.
`pod.notifications.setup.install` wires it into the application.
"""

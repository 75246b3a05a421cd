"""The health managers' console, served under /manager by the chat app's own server (one process, one
login): an adapter like the chat app, over the services of coach/ (access, alerts, audit)."""

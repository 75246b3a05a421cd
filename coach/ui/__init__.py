"""The browser chat app (Chainlit). Import only to run the UI: nothing else in `coach` imports this package."""

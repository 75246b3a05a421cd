"""The conversational health coach: settings, assembly and adapters over the `knowledge` library."""

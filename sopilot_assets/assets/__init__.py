"""The SOPilot asset graph: one module per concern."""

"""What makes a sandbox look used: the ready-made wiring, generated traffic, a past, the runner."""

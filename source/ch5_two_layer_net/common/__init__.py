"""Code given to students for the two-layer network, laid out like the book's common/ package."""

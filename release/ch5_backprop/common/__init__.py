"""Code given to students for chapter 5, laid out like the book's common/ package."""

"""The course author's tools: ``bpkit release`` validates a course through the
real judge before any student meets it (validate.py), and ``bpkit new``
writes the stubs of a new behaviour or assignment (scaffold.py).  The guide
is docs/authoring.md."""

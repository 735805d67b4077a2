"""Users: the project's own user model, custom from the first migration."""

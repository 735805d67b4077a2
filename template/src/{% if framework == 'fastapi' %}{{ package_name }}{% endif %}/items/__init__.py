"""The example resource: replace it with your own feature packages, same file names."""

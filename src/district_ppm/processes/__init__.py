"""Process architecture: the district's process tree and the K-12 starter template."""

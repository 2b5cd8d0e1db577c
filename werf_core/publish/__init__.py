"""Publishing final images to the images repo with tags."""

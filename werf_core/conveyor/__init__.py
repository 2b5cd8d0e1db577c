"""The conveyor (select → build → publish for every stage of every image), its results and its progress output."""

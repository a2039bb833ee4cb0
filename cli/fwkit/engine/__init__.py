"""The tokenizing flow: sources -> splitter -> worker pool -> shard writer -> manifest."""

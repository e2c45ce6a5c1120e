"""Knowledge base: articles staff write in Markdown, some of them published to the public."""

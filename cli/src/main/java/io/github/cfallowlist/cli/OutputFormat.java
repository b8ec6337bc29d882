package io.github.cfallowlist.cli;

/** Output formats every command takes with {@code --format}. */
enum OutputFormat {
  text,
  json
}

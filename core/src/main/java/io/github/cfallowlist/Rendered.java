package io.github.cfallowlist;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A target's configuration as text: one or more files, each with the name it has on the system
 * ({@code cloudflare-v4.xml}) and its exact content.
 */
public record Rendered(List<File> files) {

  /** Copies the files; at least one is required. */
  public Rendered {
    if (files == null || files.isEmpty()) {
      throw new IllegalArgumentException("files is empty");
    }
    files = List.copyOf(files);
  }

  /** A configuration made of one file. */
  public static Rendered single(String name, String content) {
    return new Rendered(List.of(new File(name, content)));
  }

  /** The file called {@code name}, if present. */
  public Optional<File> file(String name) {
    return files.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  /**
   * Whether {@code other} holds the same files with the same bodies: what the header says (where
   * the list came from) aside, the same configuration.
   */
  public boolean sameBodies(Rendered other) {
    if (files.size() != other.files.size()) {
      return false;
    }
    for (File f : files) {
      Optional<File> theirs = other.file(f.name());
      if (theirs.isEmpty() || !theirs.get().sameBody(f)) {
        return false;
      }
    }
    return true;
  }

  /** The content of the only file, or all files one after the other. */
  public String text() {
    return files.stream().map(File::content).collect(Collectors.joining());
  }

  /**
   * One file.
   *
   * @param name the file name, without directories
   * @param content the full text
   */
  public record File(String name, String content) {
    private static final String XML_COMMENT_END = "-->";

    /** Checks both are present. */
    public File {
      if (name == null || name.isBlank() || content == null) {
        throw new IllegalArgumentException("name and content must not be null or blank");
      }
    }

    /**
     * The content after the generated header, used to tell a real change from a new header and
     * shown in diffs: everything after the line holding {@link Header#MARKER}, and after the line
     * that closes an XML comment ({@code -->}) right below it. A file without the header is all
     * body.
     */
    public String body() {
      return content.substring(bodyStart());
    }

    /**
     * Whether {@code other}'s {@link #body} is the same as this one's, compared in place: a
     * rendered list can be megabytes, and a run compares a plan's files more than once.
     */
    public boolean sameBody(File other) {
      int start = bodyStart();
      int otherStart = other.bodyStart();
      int length = content.length() - start;
      return length == other.content.length() - otherStart
          && content.regionMatches(start, other.content, otherStart, length);
    }

    /** Where {@link #body} starts in the content. */
    private int bodyStart() {
      int marker = content.indexOf(Header.MARKER);
      if (marker < 0) {
        return 0;
      }
      int eol = content.indexOf('\n', marker);
      if (eol < 0) {
        return content.length();
      }
      int rest = eol + 1;
      return content.startsWith(XML_COMMENT_END + "\n", rest)
          ? rest + XML_COMMENT_END.length() + 1
          : rest;
    }
  }
}

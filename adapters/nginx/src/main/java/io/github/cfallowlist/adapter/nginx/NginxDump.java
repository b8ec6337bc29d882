package io.github.cfallowlist.adapter.nginx;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code nginx -T} prints: every file of the configuration nginx would load, each after a
 * {@code # configuration file PATH:} line, read into its directives. Blocks are flattened: a
 * directive is known by its file, name and arguments, which is all the checks need.
 */
final class NginxDump {
  static final String FILE_LINE = "# configuration file ";

  /**
   * One directive.
   *
   * @param file the file it is in, as nginx names it
   * @param name its name
   * @param args its arguments, quotes removed
   */
  record Directive(String file, String name, List<String> args) {
    Directive {
      args = List.copyOf(args);
    }
  }

  /**
   * The files and directives of one dump.
   *
   * @param files every file nginx read, in order
   * @param directives every directive, in order
   */
  record Dump(List<String> files, List<Directive> directives) {
    Dump {
      files = List.copyOf(files);
      directives = List.copyOf(directives);
    }

    /** The directives called {@code name}. */
    List<Directive> named(String name) {
      return directives.stream().filter(d -> d.name().equals(name)).toList();
    }
  }

  private NginxDump() {}

  /** Reads {@code nginx -T}'s standard output. */
  static Dump parse(String output) {
    List<String> files = new ArrayList<>();
    List<Directive> directives = new ArrayList<>();
    String file = null;
    StringBuilder body = new StringBuilder();
    for (String line : output.split("\n", -1)) {
      if (line.startsWith(FILE_LINE) && line.endsWith(":")) {
        if (file != null) {
          directives.addAll(directives(file, body.toString()));
        }
        file = line.substring(FILE_LINE.length(), line.length() - 1);
        files.add(file);
        body.setLength(0);
      } else if (file != null) {
        body.append(line).append('\n');
      }
    }
    if (file != null) {
      directives.addAll(directives(file, body.toString()));
    }
    return new Dump(files, directives);
  }

  /**
   * The directives in one file's text: words up to a semicolon or an opening brace, comments
   * dropped.
   */
  static List<Directive> directives(String file, String text) {
    List<Directive> out = new ArrayList<>();
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (quote != 0) {
        if (ch == '\\' && i + 1 < text.length()) {
          word.append(text.charAt(++i));
        } else if (ch == quote) {
          quote = 0;
        } else {
          word.append(ch);
        }
        continue;
      }
      if (ch == '"' || ch == '\'') {
        quote = ch;
        inWord = true;
      } else if (ch == '#' && !inWord) {
        while (i + 1 < text.length() && text.charAt(i + 1) != '\n') {
          i++;
        }
      } else if (Character.isWhitespace(ch) || ch == ';' || ch == '{' || ch == '}') {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        if (ch == ';' || ch == '{') {
          if (!words.isEmpty()) {
            out.add(new Directive(file, words.get(0), words.subList(1, words.size())));
          }
          words.clear();
        } else if (ch == '}') {
          words.clear();
        }
      } else {
        word.append(ch);
        inWord = true;
      }
    }
    return out;
  }
}

package io.github.cfallowlist.cli;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Optional;

/**
 * Standard output as picocli would open it, except that it remembers why a write failed: a {@link
 * PrintWriter} (and {@code System.out}, a {@code PrintStream}) only records that one did, and a
 * full disk or a closed pipe must not end a run with exit 0 and no word.
 */
final class StandardOutput extends PrintWriter {
  private final Failures failures;

  private StandardOutput(Failures failures, Charset charset) {
    super(new BufferedWriter(new OutputStreamWriter(failures, charset)), true);
    this.failures = failures;
  }

  /** File descriptor 1, in the encoding picocli would use for it; never closed. */
  static StandardOutput open() {
    String name = System.getProperty("sun.stdout.encoding");
    Charset charset;
    try {
      charset = name == null ? Charset.defaultCharset() : Charset.forName(name);
    } catch (IllegalArgumentException e) {
      charset = Charset.defaultCharset();
    }
    return over(new FileOutputStream(FileDescriptor.out), charset);
  }

  /** Writes to {@code out}; for tests, which hand it a stream that fails. */
  static StandardOutput over(OutputStream out, Charset charset) {
    return new StandardOutput(new Failures(out), charset);
  }

  /** The first write error, once {@link #checkError} has said there was one. */
  Optional<IOException> failure() {
    return Optional.ofNullable(failures.first);
  }

  /** Passes bytes on and keeps the first exception that writing or flushing them threw. */
  private static final class Failures extends FilterOutputStream {
    private IOException first;

    Failures(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        throw keep(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw keep(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw keep(e);
      }
    }

    private IOException keep(IOException e) {
      if (first == null) {
        first = e;
      }
      return e;
    }
  }
}

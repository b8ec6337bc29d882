package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class PrintableTest {
  @Test
  void messageFoldsLineBreaksAndStripsTheEnds() {
    assertThat(Printable.message(new IOException("\nnft: Error: syntax error\nline 2\n")))
        .isEqualTo("nft: Error: syntax error line 2");
  }

  @Test
  void messageIsTheClassNameWhenBlank() {
    assertThat(Printable.message(new IOException())).isEqualTo("IOException");
    assertThat(Printable.message(new IllegalStateException(" \n")))
        .isEqualTo("IllegalStateException");
  }

  @Test
  void messageIsNeitherEscapedNorShortened() {
    String text = "\u00e9".repeat(Printable.MAX + 1);
    assertThat(Printable.message(new IOException(text))).isEqualTo(text);
  }
}

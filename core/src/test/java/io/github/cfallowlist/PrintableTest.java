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

  @Test
  void anErrorLineKeepsUpTo200CharactersAndIsEscapedAsAnyOtherText() {
    String reason = "yaml: line 4: did not find expected node content";
    String line = "Error decoding file '/" + "d/".repeat(40) + "x.yaml': " + reason;
    assertThat(line).hasSizeGreaterThan(Printable.MAX);
    assertThat(Printable.errorLine(line)).isEqualTo(line);
    assertThat(Printable.of(line)).doesNotContain(reason);

    assertThat(Printable.errorLine("x".repeat(250) + "\u001b[31m"))
        .isEqualTo("x".repeat(Printable.ERROR_LINE_MAX) + "...");
    assertThat(Printable.errorLine("bad\u001b[31mline")).doesNotContain("\u001b");
  }
}

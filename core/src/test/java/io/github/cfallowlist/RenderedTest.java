package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RenderedTest {
  private static final String HEADER = "# " + Header.MARKER + "\n# from somewhere\n";
  private static final String XML_HEADER = "<!--\n  " + Header.MARKER + "\n-->\n";

  private static Rendered.File file(String content) {
    return new Rendered.File("f.conf", content);
  }

  @Test
  void theBodyIsWhatFollowsTheMarkerLineAndAnXmlCommentEnd() {
    assertThat(file(HEADER + "allow 1;\n").body()).isEqualTo("# from somewhere\nallow 1;\n");
    assertThat(file(XML_HEADER + "<a/>\n").body()).isEqualTo("<a/>\n");
    assertThat(file("no header\n").body()).isEqualTo("no header\n");
    assertThat(file("# " + Header.MARKER).body()).isEmpty();
  }

  @Test
  void sameBodyAgreesWithComparingTheBodies() {
    List<String> contents =
        List.of(
            HEADER + "allow 1;\n",
            "# " + Header.MARKER + " (other header)\n# from somewhere\nallow 1;\n",
            HEADER + "allow 2;\n",
            HEADER + "allow 1;\nallow 2;\n",
            XML_HEADER + "<a/>\n",
            "<!--\n  " + Header.MARKER + " (other)\n-->\n<a/>\n",
            "<a/>\n",
            "# from somewhere\nallow 1;\n",
            "# " + Header.MARKER,
            "",
            " ");
    int same = 0;
    for (String a : contents) {
      for (String b : contents) {
        boolean equalBodies = file(a).body().equals(file(b).body());
        assertThat(file(a).sameBody(file(b))).as("%s | %s", a, b).isEqualTo(equalBodies);
        same += equalBodies ? 1 : 0;
      }
    }
    // Each content against itself, and the pairs that differ only in their header.
    assertThat(same).isGreaterThan(contents.size());
  }

  @Test
  void aHeaderAloneDoesNotMakeTwoBodiesDiffer() {
    assertThat(
            file(HEADER + "allow 1;\n")
                .sameBody(file("# " + Header.MARKER + " v2\n" + "# from somewhere\nallow 1;\n")))
        .isTrue();
    assertThat(file(HEADER + "allow 1;\n").sameBody(file(HEADER + "allow 1;\n\n"))).isFalse();
  }
}

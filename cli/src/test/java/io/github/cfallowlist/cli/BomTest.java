package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The BOM pins every published module at the build's own version, and nothing else. */
class BomTest {
  private static Document pom(String... path) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(Path.of("..", path).toFile());
  }

  private static String child(Element e, String name) {
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element c && c.getTagName().equals(name)) {
        return c.getTextContent().strip();
      }
    }
    return null;
  }

  private static List<String> texts(Document doc, String tag) {
    List<String> out = new ArrayList<>();
    NodeList nodes = doc.getElementsByTagName(tag);
    for (int i = 0; i < nodes.getLength(); i++) {
      out.add(nodes.item(i).getTextContent().strip());
    }
    return out;
  }

  @Test
  void bomListsCoreDoctorAndEveryAdapterAtTheParentsVersion() throws Exception {
    Document parent = pom("pom.xml");
    Document bom = pom("bom", "pom.xml");
    Element bomRoot = bom.getDocumentElement();

    assertThat(bom.getElementsByTagName("parent").getLength()).isZero();
    assertThat(child(bomRoot, "version")).isEqualTo(child(parent.getDocumentElement(), "version"));
    assertThat(child(bomRoot, "packaging")).isEqualTo("pom");

    List<String> published = new ArrayList<>(List.of("cf-allowlist-core", "cf-allowlist-doctor"));
    for (String adapter : texts(pom("adapters", "pom.xml"), "module")) {
      published.add(child(pom("adapters", adapter, "pom.xml").getDocumentElement(), "artifactId"));
    }
    NodeList deps = bom.getElementsByTagName("dependency");
    List<String> managed = new ArrayList<>();
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      assertThat(child(d, "groupId")).isEqualTo("io.github.cfallowlist");
      assertThat(child(d, "version")).isEqualTo("${project.version}");
      managed.add(child(d, "artifactId"));
    }
    assertThat(managed).containsExactlyInAnyOrderElementsOf(published);
    assertThat(texts(parent, "module")).contains("bom");
  }
}

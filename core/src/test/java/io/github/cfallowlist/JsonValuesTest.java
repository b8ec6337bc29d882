package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonValuesTest {
  private static final String ALL_KINDS =
      "{\"s\":\"a\\u00e9\",\"i\":7,\"l\":12345678901,\"b\":123456789012345678901234567890,"
          + "\"d\":1.5,\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{\"z\":1,\"y\":2}}";

  @Test
  void readsEveryKindOfValueAsTheObjectMapperDid() throws IOException {
    assertThat(JsonValues.read(ALL_KINDS)).isEqualTo(JSON.std.anyFrom(ALL_KINDS));
  }

  @Test
  void readsNumbersAsTheNarrowestTypeAndObjectsInOrder() throws IOException {
    Map<?, ?> map = (Map<?, ?>) JsonValues.read(ALL_KINDS);
    assertThat(map.get("i")).isEqualTo(7);
    assertThat(map.get("l")).isEqualTo(12345678901L);
    assertThat(map.get("b")).isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(map.get("d")).isEqualTo(1.5);
    assertThat(map.containsKey("n")).isTrue();
    assertThat(map.get("n")).isNull();
    assertThat(map).isInstanceOf(LinkedHashMap.class);
    assertThat(List.<Object>copyOf(((Map<?, ?>) map.get("o")).keySet()))
        .isEqualTo(List.of("z", "y"));
    assertThat(map.get("a")).isEqualTo(Arrays.asList(1, List.of(), Map.of()));
  }

  @Test
  void readsAScalarAtTheTop() throws IOException {
    assertThat(JsonValues.read(" \"x\" ")).isEqualTo("x");
    assertThat(JsonValues.read("null")).isNull();
  }

  @Test
  void refusesAKeyGivenTwice() {
    assertThatThrownBy(() -> JsonValues.read("{\"a\":{\"k\":1,\"k\":2}}"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Duplicate field 'k'");
  }

  @Test
  void refusesTextAfterTheValue() {
    assertThatThrownBy(() -> JsonValues.read("{\"a\":1} {\"a\":2}"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("more text after the JSON value");
  }

  @Test
  void refusesNothingAndTextThatEndsEarly() {
    assertThatThrownBy(() -> JsonValues.read(" ")).hasMessageContaining("empty");
    assertThatThrownBy(() -> JsonValues.read("[1, 2")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> JsonValues.read("{\"a\":")).isInstanceOf(IOException.class);
  }
}

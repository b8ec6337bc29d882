package io.github.cfallowlist;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON into plain values, with jackson-core's streaming parser alone: an object becomes a
 * {@link LinkedHashMap} (keys in order), an array a {@link List}, a string a {@link String}, a
 * number an {@link Integer}, {@link Long}, {@link java.math.BigInteger} or {@link Double}, {@code
 * true} and {@code false} a {@link Boolean}, and {@code null} null.
 *
 * <p>The lists Cloudflare publishes and the JSON {@code nft} prints are read on every run, so they
 * are read without an object mapper: starting one (its type tables, its writer, the time zones its
 * date handling loads) cost a cold start more than the parse itself.
 */
public final class JsonValues {
  /** A parser that refuses a key given twice in any object, read or skipped. */
  private static final JsonFactory STRICT =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private JsonValues() {}

  /** The factory of parsers that refuse a key given twice in an object. */
  public static JsonFactory strictFactory() {
    return STRICT;
  }

  /**
   * The one JSON value {@code json} holds.
   *
   * @throws IOException when {@code json} is not one JSON value (nothing, bad syntax, a key given
   *     twice in an object, or more text after the value)
   */
  public static Object read(String json) throws IOException {
    try (JsonParser parser = STRICT.createParser(json)) {
      if (parser.nextToken() == null) {
        throw new IOException("no JSON value: the text is empty");
      }
      Object value = value(parser);
      if (parser.nextToken() != null) {
        throw new IOException(
            "more text after the JSON value at "
                + parser.currentTokenLocation().offsetDescription());
      }
      return value;
    }
  }

  /**
   * The value whose first token {@code parser} stands at (after {@link JsonParser#nextToken}); the
   * parser is left at its last token.
   */
  public static Object value(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    if (token == null) {
      throw new IOException("the JSON ends where a value was expected");
    }
    return switch (token) {
      case START_OBJECT -> {
        Map<String, Object> object = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          object.put(name, value(parser));
        }
        yield object;
      }
      case START_ARRAY -> {
        List<Object> array = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(value(parser));
        }
        yield array;
      }
      case VALUE_STRING -> parser.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
      case VALUE_TRUE -> true;
      case VALUE_FALSE -> false;
      case VALUE_NULL -> null;
      default -> throw new IOException("unexpected JSON token " + token);
    };
  }
}

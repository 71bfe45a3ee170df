package dev.herald.server.element;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Element validation against the catalogue alone: no server, no database; references resolve
 * through a map. (The REST tests check that an invalid body changes nothing and sends no event.)
 */
class ValidationTest {
  private static final String HOST_HREF = "http://h/7.2/elements/host/11";
  private static final Map<String, Validation.Member> KNOWN = Map.of(
      HOST_HREF, new Validation.Member(11, "host", true),
      "http://h/7.2/elements/host/12", new Validation.Member(12, "host", false));

  private static Validation.Result validate(String type, String json) {
    ObjectNode body = Json.parseObject(json).orElseThrow();
    return Validation.validate(type, body, href -> Optional.ofNullable(KNOWN.get(href)));
  }

  @Test
  void aValidHost_hasNoErrors() {
    assertThat(validate("host", "{\"name\":\"h\",\"address\":\"192.0.2.1\"}").errors()).isEmpty();
  }

  @Test
  void theName_isRequiredAndAString() {
    assertThat(validate("host", "{\"address\":\"192.0.2.1\"}").errors()).containsExactly("Field name is required.");
    assertThat(validate("host", "{\"name\":\" \",\"address\":\"192.0.2.1\"}").errors())
        .containsExactly("Field name must be a non-blank string.");
    assertThat(validate("host", "{\"name\":\"" + "n".repeat(1025) + "\",\"address\":\"192.0.2.1\"}").errors())
        .containsExactly("Field name is longer than 1024 characters.");
  }

  @Test
  void addressesAreChecked_andOneOfTheAddressFieldsIsRequired() {
    assertThat(validate("host", "{\"name\":\"h\",\"address\":\"300.1.1.1\"}").errors())
        .singleElement().asString().contains("address");
    assertThat(validate("host", "{\"name\":\"h\"}").errors()).singleElement().asString().contains("required");
  }

  @Test
  void references_areCollected_andAMissingOneIsAnError() {
    Validation.Result ok = validate("group", "{\"name\":\"g\",\"element\":[\"" + HOST_HREF + "\"]}");
    assertThat(ok.errors()).isEmpty();
    assertThat(ok.references()).containsExactly(11L);
    Validation.Result missing = validate("group", "{\"name\":\"g\",\"element\":[\"http://h/7.2/elements/host/99\"]}");
    assertThat(missing.errors()).singleElement().asString().contains("host/99");
  }

  @Test
  void aReferenceTheCallerMayNotSee_isRefusedLikeOneThatDoesNotExist() {
    Validation.Result hidden = validate("group", "{\"name\":\"g\",\"element\":[\"http://h/7.2/elements/host/12\"]}");
    assertThat(hidden.errors()).isNotEmpty();
    assertThat(hidden.references()).doesNotContain(12L);
  }

  @Test
  void valuesInAnotherJsonType_areReadAsSmcReadsThem() {
    ObjectNode body = Json.parseObject("{\"name\":\"h\",\"address\":\"192.0.2.1\",\"comment\":\"c\"}").orElseThrow();
    assertThat(Validation.validate("host", body, href -> Optional.empty()).errors()).isEmpty();
    assertThat(validate("tcp_service", "{\"name\":\"s\",\"min_dst_port\":\"80\"}").errors()).isEmpty();
    assertThat(validate("tcp_service", "{\"name\":\"s\",\"min_dst_port\":\"eighty\"}").errors())
        .singleElement().asString().contains("min_dst_port");
  }

  @Test
  void orderedPairs_lowMayNotExceedHigh() {
    assertThat(validate("tcp_service", "{\"name\":\"s\",\"min_dst_port\":90,\"max_dst_port\":80}").errors())
        .singleElement().asString().contains("max_dst_port").contains("below");
  }

  @Test
  void anOverlongUnknownString_isRefused() {
    assertThat(validate("host", "{\"name\":\"h\",\"address\":\"192.0.2.1\",\"x_note\":\"" + "a".repeat(70_000) + "\"}").errors())
        .singleElement().asString().contains("x_note");
  }
}

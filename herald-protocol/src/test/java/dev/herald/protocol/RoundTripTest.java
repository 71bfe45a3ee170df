package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every frame the server writes ({@link Frames}) reads back through the one parser clients use
 * ({@link ServerMessage#parse}) as the message it meant; every command a client writes reads
 * back through the server's parser ({@link Command#parse}) as the same command. Fast: no server.
 */
class RoundTripTest {
  private static final String OBJ = Frames.eventObject("create", "http://h:8082/7.2/elements/host/1");
  private static final ServerMessage.EventObject EVENT =
      new ServerMessage.EventObject("create", "http://h:8082/7.2/elements/host/1");

  @Test
  void acknowledgements() {
    assertThat(ServerMessage.parse(Frames.subscribed("host, router", 3)))
        .isEqualTo(new ServerMessage.Subscribed("host, router", 3, OptionalLong.empty()));
    assertThat(ServerMessage.parse(Frames.subscribed("*", 0, 41)))
        .isEqualTo(new ServerMessage.Subscribed("*", 0, OptionalLong.of(41)));
    assertThat(ServerMessage.parse(Frames.unsubscribed(7))).isEqualTo(new ServerMessage.Unsubscribed(7));
  }

  @Test
  void eventsInBothFormats_withAndWithoutSeq() {
    long at = 1_764_000_000_123L;
    assertThat(ServerMessage.parse(Frames.event(OBJ, 2)))
        .isEqualTo(new ServerMessage.Event(List.of(EVENT), 2, OptionalLong.empty(), Optional.empty()));
    assertThat(ServerMessage.parse(Frames.event(OBJ, 2, 99, at)))
        .isEqualTo(new ServerMessage.Event(List.of(EVENT), 2, OptionalLong.of(99), Optional.of(Instant.ofEpochMilli(at))));
    assertThat(ServerMessage.parse(Frames.legacyEvent(OBJ, 5)))
        .isEqualTo(new ServerMessage.Event(List.of(EVENT), 5, OptionalLong.empty(), Optional.empty()));
    assertThat(ServerMessage.parse(Frames.legacyEvent(OBJ, 5, 100, at)))
        .isEqualTo(new ServerMessage.Event(List.of(EVENT), 5, OptionalLong.of(100), Optional.of(Instant.ofEpochMilli(at))));
  }

  @Test
  void anEventObject_escapesWhatJsonMust() {
    String href = "http://h/7.2/elements/host/1?\"q\"\\\u0001";
    ServerMessage m = ServerMessage.parse(Frames.event(Frames.eventObject("update", href), 0));
    assertThat(((ServerMessage.Event) m).events()).containsExactly(new ServerMessage.EventObject("update", href));
  }

  @Test
  void failuresAndTheExtensions() {
    assertThat(ServerMessage.parse(Frames.failure("bad"))).isEqualTo(
        new ServerMessage.Failure("bad", OptionalLong.empty(), Optional.empty(), OptionalLong.empty()));
    assertThat(ServerMessage.parse(Frames.failure("no such", 4))).isEqualTo(
        new ServerMessage.Failure("no such", OptionalLong.of(4), Optional.empty(), OptionalLong.empty()));
    ServerMessage.Failure beyond = (ServerMessage.Failure) ServerMessage.parse(Frames.sinceBeyondHead(50, 10));
    assertThat(beyond.code()).contains(ServerMessage.Failure.SINCE_BEYOND_HEAD);
    assertThat(beyond.headSeq()).hasValue(10);
    assertThat(ServerMessage.parse(Frames.historyExpired("host", 3, 20, 30)))
        .isEqualTo(new ServerMessage.HistoryExpired(3, 20, 30, "host"));
    assertThat(ServerMessage.parse(Frames.progress(1, 77))).isEqualTo(new ServerMessage.Progress(1, 77));
    assertThat(ServerMessage.parse(Frames.heartbeat(88))).isEqualTo(new ServerMessage.Heartbeat(88));
  }

  @Test
  void whatItCannotRead_isUnknown() {
    for (String text : List.of("", "not json", "[]", "{}", "{\"event\":{\"type\":1}}",
        "{\"event\":{},\"subscription_id\":1}", "{\"event\":{\"type\":\"x\",\"element\":\"y\"},\"at\":\"yesterday\"}")) {
      assertThat(ServerMessage.parse(text)).as(text).isInstanceOf(ServerMessage.Unknown.class);
    }
  }

  @Test
  void subscribesWithEveryExtension_roundTrip() {
    Command.Subscribe plain = Command.Subscribe.of("host, router");
    assertThat(plain.contexts()).containsExactly("host", "router");
    assertThat(plain.toJson()).isEqualTo("{\"context\":\"host, router\"}");
    Command.Subscribe full = Command.Subscribe.of("*").since(12).types(Set.of("create", "delete"))
        .names(Set.of("a", "b")).keys(Set.of(5L));
    assertThat(full.contexts()).isEmpty();
    assertThat(Command.parse(full.toJson())).isEqualTo(full);
    assertThat(Command.parse(plain.numbered().toJson())).isEqualTo(plain.numbered());
    assertThat(Command.parse(new Command.Unsubscribe(9).toJson())).isEqualTo(new Command.Unsubscribe(9));
  }

  @Test
  void badCommands_areInvalidWithAReason_badSpecsThrow() {
    assertThat(Command.parse("{\"context\":\"*\",\"since\":-1}")).isInstanceOf(Command.Invalid.class);
    assertThat(Command.parse("{\"unsubscribe\":\"x\"}")).isInstanceOf(Command.Invalid.class);
    assertThat(Command.parse("[1]")).isInstanceOf(Command.Invalid.class);
    assertThat(((Command.Invalid) Command.parse("{\"context\":\"*\",\"types\":[\"eaten\"]}")).reason())
        .contains("eaten");
    assertThatThrownBy(() -> Command.Subscribe.of("*").since(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Command.Subscribe.of("*").types(Set.of("eaten"))).hasMessageContaining("eaten");
  }

  @Test
  void closeCodes_areRecognisedByCodeAndReason() {
    for (CloseCode c : CloseCode.values()) {
      assertThat(CloseCode.of(c.code(), c.reason())).contains(c);
    }
    assertThat(CloseCode.of(4001, CloseCode.slowConsumerReason(42))).contains(CloseCode.SLOW_CONSUMER);
    assertThat(CloseCode.of(4001, "something else")).isEmpty();
    assertThat(CloseCode.of(4999, "x")).isEmpty();
  }

  @Test
  void eventTypes_byWireName() {
    for (EventType t : EventType.values()) {
      assertThat(EventType.fromWire(t.wire())).contains(t);
    }
    assertThat(EventType.WIRE_NAMES).doesNotContain("status").contains("create", "trashed", "validated");
    assertThat(EventType.fromWire("eaten")).isEmpty();
  }
}

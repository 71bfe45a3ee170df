package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.ETags;
import dev.herald.server.element.ElementJson;
import dev.herald.server.element.ElementService;
import dev.herald.server.store.ElementRecord;
import java.security.SecureRandom;

/**
 * The links of administrators, API clients and web portal users as smc-python's UserMixin
 * drives them: enable_disable, change_password, generate_password, pwd_meta_data,
 * unlock_account and an administrator's change_engine_password. Who may do what is the permission model's (a superuser; a user its own
 * password).
 */
final class AdminResource {
  private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.";
  private final ElementService elements;
  private final SecureRandom random = new SecureRandom();

  AdminResource(ElementService elements, ElementResource elementResource) {
    this.elements = elements;
    elementResource.register("enable_disable", (c, t, k) -> element(c, elements.enableDisable(c.session().caller(), t, k)));
    elementResource.register("change_password", this::changePassword);
    elementResource.register("generate_password", this::generatePassword);
    elementResource.register("change_engine_password", (c, t, k) -> {
      requirePut(c);
      String password = c.param("password").orElseThrow(() -> HeraldException.badRequest(
          "Impossible to change the engine password.", "Give the new one: ?password=NEW."));
      return element(c, elements.changeEnginePassword(c.session().caller(), t, k, password));
    });
    elementResource.register("pwd_meta_data", (c, t, k) -> Reply.json(200,
        elements.passwordMetaData(c.session().caller(), t, k).orElseGet(Json::object)));
    // Herald slows repeated failed logins instead of locking accounts: nothing to unlock
    elementResource.register("unlock_account", (c, t, k) -> element(c, elements.get(c.session().caller(), t, k)));
  }

  private static Reply element(Call call, ElementRecord r) {
    return Reply.json(200, ElementJson.render(r, call.base())).header("ETag", ETags.of(r.key(), r.version()));
  }

  /** PUT change_password?password=NEW (smc-python sends it as a query parameter, body {}). */
  private Reply changePassword(Call call, String type, long key) throws Exception {
    requirePut(call);
    String password = call.param("password").orElse(null);
    if (password == null) {
      password = call.optionalJson().path("password").asText(null);
    }
    if (password == null || password.isEmpty()) {
      throw HeraldException.badRequest("Impossible to change the password.", "Give the new one: ?password=NEW.");
    }
    return element(call, elements.changePassword(call.session().caller(), type, key, password));
  }

  /** PUT generate_password: a new random password, set and returned as {"value": [password]}. */
  private Reply generatePassword(Call call, String type, long key) {
    requirePut(call);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    elements.changePassword(call.session().caller(), type, key, sb.toString());
    ObjectNode o = Json.object();
    o.putArray("value").add(sb.toString());
    return Reply.json(200, o);
  }

  private static void requirePut(Call call) {
    if (!call.method().equals("PUT")) {
      throw new HeraldException(405, "Method " + call.method() + " not allowed.", java.util.List.of("Allowed: PUT."), null)
          .header("Allow", "PUT");
    }
  }
}

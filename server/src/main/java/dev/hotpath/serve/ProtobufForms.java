package dev.hotpath.serve;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.hotpath.http.Format;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.ResponseCache;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The protobuf form of a representation (messages of api/proto), made from its JSON form: the
 * messages mirror the JSON representations field for field (same names, a test keeps them so), so
 * one parse of the JSON bytes fills the message and a sparse fieldset or a null leaves its fields
 * absent. Cached representations are encoded once per entry; pages that are not cached are encoded
 * per request.
 */
public final class ProtobufForms {
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private ProtobufForms() {}

  /**
   * A loader of both formats: JSON keys load as {@code json} does; a protobuf key loads the JSON
   * form of the same key and encodes it as {@code prototype}'s message.
   */
  public static ResponseCache.Loader either(ResponseCache.Loader json, Message prototype) {
    return key ->
        key.format() == Format.JSON
            ? json.load(key)
            : json.load(key.json()).map(found -> found.map(rep -> encode(rep, prototype)));
  }

  /**
   * {@code rep} in {@code format}: itself for JSON, else encoded as {@code prototype}'s message.
   */
  public static Representation in(Format format, Representation rep, Message prototype) {
    return format == Format.JSON ? rep : encode(rep, prototype);
  }

  /** The protobuf form of a JSON representation, with its own entity tag. */
  public static Representation encode(Representation json, Message prototype) {
    return json.in(Format.PROTOBUF, Buffer.buffer(message(json.body(), prototype).toByteArray()));
  }

  /** The JSON bytes {@code json} as {@code prototype}'s message. */
  public static Message message(Buffer json, Message prototype) {
    Message.Builder builder = prototype.newBuilderForType();
    try {
      PARSER.merge(json.toString(StandardCharsets.UTF_8), builder);
    } catch (InvalidProtocolBufferException e) {
      // the JSON is ours and the messages mirror it; a mismatch is a bug, not bad input
      throw new IllegalStateException(
          "The JSON form does not fit " + prototype.getDescriptorForType().getFullName(), e);
    }
    return builder.build();
  }
}

package io.crossfade.sidecar.proxy;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;

/**
 * JSON escapes that make a document a valid HTTP field value (RFC 9110 §5.5: visible ASCII, space
 * and tab). JSON's own rules already escape the controls below 0x20; this adds DEL (0x7F), which JSON
 * allows raw but HTTP forbids and Netty refuses ("a header value contains a prohibited character"),
 * which left a proxied request without an answer. Used together with
 * {@link com.fasterxml.jackson.core.json.JsonWriteFeature#ESCAPE_NON_ASCII}, which escapes every
 * character beyond ASCII, so the result is printable ASCII. Applies to object keys as to values.
 * Immutable.
 */
final class FieldValueEscapes extends CharacterEscapes {

    static final FieldValueEscapes INSTANCE = new FieldValueEscapes();

    private static final int DEL = 0x7F;

    private final int[] ascii;

    private FieldValueEscapes() {
        int[] codes = CharacterEscapes.standardAsciiEscapesForJSON();
        codes[DEL] = CharacterEscapes.ESCAPE_STANDARD;
        ascii = codes;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ascii;
    }

    /** None beyond ASCII: {@code ESCAPE_NON_ASCII} escapes all of them as {@code \\uXXXX}. */
    @Override
    public SerializableString getEscapeSequence(int ch) {
        return null;
    }
}

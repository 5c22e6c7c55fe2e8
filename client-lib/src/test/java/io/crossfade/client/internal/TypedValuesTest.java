package io.crossfade.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Resolution;
import io.crossfade.config.Variant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TypedValuesTest {

    record Banner(String text, String color) {
    }

    private static JsonNode json(String text) {
        try {
            return TypedValues.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object ok(String json, Class<?> type) {
        TypedValues.Conversion c = TypedValues.convert(json(json), type);
        assertThat(c.ok()).as("%s as %s: %s", json, type.getSimpleName(), c.mismatch()).isTrue();
        return c.value();
    }

    private static String mismatch(String json, Class<?> type) {
        TypedValues.Conversion c = TypedValues.convert(json(json), type);
        assertThat(c.ok()).as("%s as %s", json, type.getSimpleName()).isFalse();
        return c.mismatch();
    }

    @Test
    void intsTakeWholeNumbersThatFit() {
        assertThat(ok("10", Integer.class)).isEqualTo(10);
        assertThat(ok("-3", Integer.class)).isEqualTo(-3);
        assertThat(ok("10.0", Integer.class)).isEqualTo(10);
        assertThat(ok("1e3", Integer.class)).isEqualTo(1000);
        assertThat(mismatch("10.5", Integer.class)).isEqualTo("expected a whole number that fits an int, found number 10.5");
        assertThat(mismatch("3000000000", Integer.class)).contains("fits an int");
        assertThat(mismatch("\"10\"", Integer.class)).contains("found string \"10\"");
        assertThat(mismatch("true", Integer.class)).contains("found boolean");
    }

    @Test
    void longsTakeWholeNumbersThatFit() {
        assertThat(ok("3000000000", Long.class)).isEqualTo(3_000_000_000L);
        assertThat(mismatch("99999999999999999999", Long.class)).contains("fits a long");
        assertThat(mismatch("1.5", Long.class)).contains("fits a long");
    }

    @Test
    void doublesTakeAnyNumber() {
        assertThat(ok("0.25", Double.class)).isEqualTo(0.25);
        assertThat(ok("7", Double.class)).isEqualTo(7.0);
        assertThat(mismatch("\"0.25\"", Double.class)).contains("expected a number");
    }

    @Test
    void booleansAndStringsAreNotCoerced() {
        assertThat(ok("false", Boolean.class)).isEqualTo(false);
        assertThat(mismatch("\"true\"", Boolean.class)).contains("true or false");
        assertThat(mismatch("1", Boolean.class)).contains("true or false");
        assertThat(ok("\"bm25\"", String.class)).isEqualTo("bm25");
        assertThat(mismatch("20", String.class)).contains("expected a string, found number 20");
        assertThat(mismatch("{\"a\":1}", String.class)).contains("found object");
    }

    @Test
    void objectsBindToRecordsMapsListsAndTrees() {
        assertThat(ok("{\"text\":\"hi\",\"color\":\"#0a7\",\"later\":1}", Banner.class)).isEqualTo(new Banner("hi", "#0a7"));
        assertThat(ok("{\"a\":1}", Map.class)).isEqualTo(Map.of("a", 1));
        assertThat(ok("[1,2]", List.class)).isEqualTo(List.of(1, 2));
        assertThat(ok("{\"a\":1}", JsonNode.class)).isEqualTo(json("{\"a\":1}"));
        assertThat(mismatch("[1,2]", Banner.class)).startsWith("cannot read array [1,2] as ");
    }

    @Test
    void primitiveTypesMapToTheirBoxes() {
        assertThat(TypedValues.boxed(int.class)).isEqualTo(Integer.class);
        assertThat(TypedValues.boxed(boolean.class)).isEqualTo(Boolean.class);
        assertThat(TypedValues.boxed(String.class)).isEqualTo(String.class);
    }

    @Test
    void eachValueIsConvertedOncePerVersionKeyVariantAndType() {
        TypedValues values = new TypedValues(100);
        Resolution r = new Resolution("banner", json("{\"text\":\"hi\"}"), Variant.STATIC, null);
        Object first = values.get(1, r, Banner.class).value();
        assertThat(values.get(1, r, Banner.class).value()).isSameAs(first);
        assertThat(values.get(2, r, Banner.class).value()).isNotSameAs(first).isEqualTo(first);
        values.invalidateAll();
        assertThat(values.get(1, r, Banner.class).value()).isNotSameAs(first);
        Resolution other = new Resolution("banner", json("{\"text\":\"yo\"}"), Variant.NEW, null);
        assertThat(values.get(1, other, Banner.class).value()).isEqualTo(new Banner("yo", null));
    }
}

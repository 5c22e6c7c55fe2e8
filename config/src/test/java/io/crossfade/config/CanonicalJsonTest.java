package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Migration ids hash {@link CanonicalJson}'s text, so it must stay byte for byte what it was when it
 * sorted the tree by hand: the hand-written sort is kept here as the oracle.
 */
class CanonicalJsonTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper PLAIN = new ObjectMapper();

    /** The former implementation: copy the tree with every object's fields sorted, then write it. */
    private static String handSorted(JsonNode node) throws Exception {
        return PLAIN.writeValueAsString(sorted(node));
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            ObjectNode out = NODES.objectNode();
            for (String name : names) {
                out.set(name, sorted(node.get(name)));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = NODES.arrayNode();
            node.forEach(element -> out.add(sorted(element)));
            return out;
        }
        return node;
    }

    private static final String[] NAMES = {"a", "b", "B", "aa", "a.b", "_", "-", "z", "é", "ä", "\u0000", "😀", "10",
            "9", "", " ", "\"", "\\", "Z", "ab"};

    private static JsonNode random(Random random, int depth) {
        int kind = depth > 3 ? random.nextInt(7) : random.nextInt(9);
        switch (kind) {
            case 0: return NODES.nullNode();
            case 1: return NODES.booleanNode(random.nextBoolean());
            case 2: return NODES.numberNode(random.nextInt());
            case 3: return NODES.numberNode(new BigDecimal(BigInteger.valueOf(random.nextLong()), random.nextInt(12) - 4));
            case 4: return NODES.numberNode(random.nextDouble() * 1e6);
            case 5: return NODES.textNode(NAMES[random.nextInt(NAMES.length)] + "\n\t\u2028" + random.nextInt());
            case 6: return NODES.numberNode(random.nextLong());
            case 7: {
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.add(random(random, depth + 1));
                }
                return array;
            }
            default: {
                ObjectNode object = NODES.objectNode();
                for (int i = random.nextInt(6); i > 0; i--) {
                    object.set(NAMES[random.nextInt(NAMES.length)], random(random, depth + 1));
                }
                return object;
            }
        }
    }

    @Test
    void jacksonsSortedOutputIsByteIdenticalToSortingTheTreeByHand() throws Exception {
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            JsonNode node = random(random, 0);
            assertThat(CanonicalJson.write(node)).as("case %d", i).isEqualTo(handSorted(node));
        }
    }

    @Test
    void fieldsAreSortedAtEveryDepthWithoutWhitespace() throws Exception {
        JsonNode node = PLAIN.readTree("{ \"b\": [ {\"z\":1, \"a\":{\"y\":true,\"x\":null}} ], \"a\": 1.50, \"B\": \"é\" }");
        assertThat(CanonicalJson.write(node)).isEqualTo("{\"B\":\"é\",\"a\":1.5,\"b\":[{\"a\":{\"x\":null,\"y\":true},\"z\":1}]}");
    }
}

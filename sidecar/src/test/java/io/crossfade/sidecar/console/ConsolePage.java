package io.crossfade.sidecar.console;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The console in Debian's headless Chromium, driven through its chromedriver: what an operator sees
 * and does, in the page's own words (labels, button names, sentences), so the tests read like a
 * session at the console.
 */
final class ConsolePage implements AutoCloseable {

    /** Where screenshots go: kept by the build as test artifacts. */
    static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    static final Dimension LAPTOP = new Dimension(1366, 900);
    static final Dimension PHONE = new Dimension(390, 844);

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final ChromeDriver driver;
    private final URI ops;

    private ConsolePage(ChromeDriver driver, URI ops) {
        this.driver = driver;
        this.ops = ops;
    }

    private static String chromedriver() {
        return System.getProperty("crossfade.chromedriver", "/usr/bin/chromedriver");
    }

    private static String chromium() {
        return System.getProperty("crossfade.chromium", "/usr/bin/chromium");
    }

    /** Why the browser tests cannot run here, or null when Chromium and its driver are installed. */
    static String missingBrowser() {
        for (String file : List.of(chromium(), chromedriver())) {
            if (!Files.isExecutable(Path.of(file))) {
                return file + " is missing: install Debian's chromium and chromium-driver (as .ci/run does) to run"
                        + " the console's browser tests, or name other binaries with -Dcrossfade.chromium and"
                        + " -Dcrossfade.chromedriver";
            }
        }
        return null;
    }

    /** Starts Chromium headless on a laptop-sized window; the sidecar's ops listener is {@code ops}. */
    static ConsolePage start(URI ops) {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(chromedriver()))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium());
        // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + LAPTOP.width + "," + LAPTOP.height, "--no-first-run", "--disable-extensions",
                "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
        return new ConsolePage(driver, ops);
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Opens {@code path} on the ops listener (e.g. {@code /}, which redirects to the console). */
    void open(String path) {
        driver.get(ops.resolve(path).toString());
        await().atMost(WAIT).until(() -> "complete".equals(js("return document.readyState")));
    }

    /** A fresh tab state: no token kept, the page loaded anew. */
    void openFresh() {
        open("/console/");
        js("sessionStorage.clear()");
        open("/console/");
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    void enterToken(String token) {
        WebElement field = byLabel("Admin token");
        field.clear();
        field.sendKeys(token);
        button(driver.findElement(By.id("login")), "Connect").click();
    }

    /** The input a visible label names, found as a user would: by the label's text. */
    WebElement byLabel(String text) {
        for (WebElement label : driver.findElements(By.tagName("label"))) {
            if (label.getText().strip().startsWith(text)) {
                String target = label.getAttribute("for");
                return target != null && !target.isEmpty() ? driver.findElement(By.id(target))
                        : label.findElement(By.tagName("input"));
            }
        }
        throw new AssertionError("no label '" + text + "' on the page");
    }

    static WebElement button(WebElement scope, String name) {
        for (WebElement b : scope.findElements(By.tagName("button"))) {
            if (b.getText().strip().equals(name)) {
                return b;
            }
        }
        throw new AssertionError("no button named '" + name + "'");
    }

    /** The card of {@code key}, waiting until it is shown. */
    WebElement card(String key) {
        await().atMost(WAIT).until(() -> !driver.findElements(cardLocator(key)).isEmpty());
        return driver.findElement(cardLocator(key));
    }

    private static By cardLocator(String key) {
        return By.cssSelector("article.card[data-key='" + key + "']");
    }

    /** The text of {@code css} inside the card of {@code key}. */
    String cardText(String key, String css) {
        return card(key).findElement(By.cssSelector(css)).getText().strip();
    }

    /** Waits until the text of {@code css} inside the card of {@code key} contains {@code expected}. */
    void awaitCardText(String key, String css, String expected) {
        await().atMost(WAIT).ignoreExceptions().until(() -> cardText(key, css).contains(expected));
    }

    /** Types into the card's input labelled {@code label}. */
    void type(String key, String label, String value) {
        // select-all and type over, as a person would: the field keeps the focus throughout (a
        // WebDriver clear() blurs it, and a live update may then refill it before the typing)
        inCard(key, label).sendKeys(Keys.chord(Keys.CONTROL, "a"), value);
    }

    WebElement inCard(String key, String label) {
        for (WebElement l : card(key).findElements(By.tagName("label"))) {
            if (l.getText().strip().startsWith(label)) {
                return l.findElement(By.tagName("input"));
            }
        }
        throw new AssertionError("no input labelled '" + label + "' in the card of " + key);
    }

    void click(String key, String buttonName) {
        button(card(key), buttonName).click();
    }

    WebElement dialog() {
        return driver.findElement(By.id("confirm"));
    }

    List<String> eventRows() {
        return driver.findElements(By.cssSelector("#events tbody tr")).stream().map(WebElement::getText).toList();
    }

    /** Sets the window size (laptop, phone) and waits for the layout to follow. */
    void resize(Dimension size) {
        driver.manage().window().setSize(size);
        await().atMost(WAIT).until(() -> ((Number) js("return window.innerWidth")).intValue() <= size.width);
    }

    /**
     * Saves a screenshot of the whole page (the window is stretched to the page's height for it, then
     * put back) under {@link #SCREENSHOTS}.
     */
    Path screenshot(String name) {
        Dimension before = driver.manage().window().getSize();
        long height = ((Number) js("return Math.ceil(document.documentElement.scrollHeight)")).longValue();
        driver.manage().window().setSize(new Dimension(before.width, (int) Math.min(Math.max(height + 140, before.height), 6000)));
        try {
            return viewportScreenshot(name);
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    /** Scrolls the first element matching {@code css} to the top of the window. */
    void scrollTo(String css) {
        js("document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", css);
    }

    /** Saves a screenshot of what the window shows. */
    Path viewportScreenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Path target = SCREENSHOTS.resolve(name + ".png");
            Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}

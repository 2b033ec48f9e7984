// Drives the html view like a reader: arrow keys and the next/prev buttons, reporting
// the step counter after each. Run by test_trace_render.py with the puppeteer that
// .ci/render-tools.sh installs (ACKCHECK_NODE_TOOLS) and Debian's chromium (CHROMIUM).
const path = require("path");
const puppeteer = require(path.join(process.env.ACKCHECK_NODE_TOOLS, "node_modules", "puppeteer-core"));

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    await page.goto("file://" + process.argv[2]);
    const pos = () => page.$eval("#pos", (e) => e.textContent);
    const out = { initial: await pos() };
    await page.keyboard.press("ArrowRight");
    out.right = await pos();
    await page.keyboard.press("ArrowRight");
    out.right2 = await pos();
    await page.click("#next");
    out.next = await pos();
    await page.keyboard.press("ArrowLeft");
    out.left = await pos();
    await page.click("#prev");
    out.prev = await pos();
    out.desc = await page.$eval("#desc", (e) => e.textContent);
    out.current = await page.$$eval("g.step.current", (els) => els.map((e) => e.id));
    out.future = await page.$$eval("g.step.future", (els) => els.length);
    await page.keyboard.press("End");
    out.end = await pos();
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(String(e));
  process.exit(1);
});

import { strict as assert } from "node:assert";
import { stackedAreaSvg } from "../../model/plot";
describe("model/plot", () => {
  it("plots stacked areas that a person can open: stacked to 100%, with a legend", () => {
    const svg = stackedAreaSvg({
      title: "t & <test>",
      xLabel: "x",
      x: [0, 1],
      layers: [
        { name: "a", color: "#000", values: [0.5, 0.25] },
        { name: "b", color: "#111", values: [0.5, 0.75] },
      ],
    });
    assert.match(svg, /t &amp; &lt;test&gt;/);
    assert.match(svg, /<text [^>]*>a<\/text>/);
    assert.equal(svg.match(/<polygon /g)?.length, 2);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
  });
});

-- mien.models.load(name, {pretrained = false}): the face-api architectures
-- with random weights, without any weights file (for architecture work and
-- for the tutorial's spec when ../shared is absent).
local mien = require "mien"

describe("models.load with pretrained = false", function()
  it("builds a face-api backbone with random, non-zero weights and no file", function()
    local b = mien.models.load("faceapi_expression", { include_top = false, pretrained = false, dir = "/nonexistent" })
    local nonzero = 0
    for _, p in ipairs(b:parameters()) do
      if p:abs():sum():item() > 0 then nonzero = nonzero + 1 end
    end
    assert.is_true(nonzero > #b:parameters() / 2, "most parameters should be drawn, not zeros")
    local y = mien.no_grad(function() return b(mien.rand({ 2, 3, 112, 112 })) end)
    assert.are.same({ 2, 256 }, y:shape())
    assert.are.equal(256, b.feature_dim)
    assert.is_true(y:std():item() > 0, "random features should vary")
  end)

  it("is an error naming the model for a graph model, whose architecture is in its file", function()
    local ok, err = pcall(mien.models.load, "faceres", { pretrained = false })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("models.load('faceres', {pretrained = false})", 1, true), err)
  end)
end)
